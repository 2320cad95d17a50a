import sys
from pathlib import Path

# The helpers beside these tests are plain modules, not a package (pytest runs in importlib mode).
sys.path.insert(0, str(Path(__file__).parent))
