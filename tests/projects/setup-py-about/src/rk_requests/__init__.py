from .__version__ import __title__, __version__
