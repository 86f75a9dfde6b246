"""Drops the project's own entry (``samskab @ file:///...``) from a pip-compile lock file."""

import re
import sys
from pathlib import Path

path = Path(sys.argv[1])
text = path.read_text(encoding="utf-8")
own = re.compile(
    r"(?:# WARNING: pip install will require[^\n]*\n# Consider using[^\n]*\n)?samskab @ [^\n]*\n(?:    #[^\n]*\n)*"
)
path.write_text(own.sub("", text), encoding="utf-8")
