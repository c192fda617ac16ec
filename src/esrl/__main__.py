import sys

from esrl.cli.main import main

sys.exit(main())
