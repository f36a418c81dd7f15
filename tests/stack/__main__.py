import sys

from tests.stack.letta_stack import main

sys.exit(main(sys.argv[1:]))
