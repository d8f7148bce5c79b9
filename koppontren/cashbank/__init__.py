"""Cash and bank (RULES-2 §8): transfers between cash accounts (mutasi kas)."""
