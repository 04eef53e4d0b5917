import sys

from optzoo_cli import main

sys.exit(main())
