"""``python -m acrdoctor.demo [PATH]``: regenerate the shipped demo snapshot."""

from acrdoctor.demo import main

raise SystemExit(main())
