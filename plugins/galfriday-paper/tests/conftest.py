import sys
from pathlib import Path

# Helper modules (the manual clock, the contract's MarketMaker) live beside the tests.
sys.path.insert(0, str(Path(__file__).parent))
