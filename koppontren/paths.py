"""Where the project's folders are: templates, reports, migrations and the instance folder live
beside the package. Its own module, so that any module can find them without importing the app
package root (``koppontren/__init__.py``, which imports every page and the API)."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
