__title__ = "rk-requests"
__version__ = "1.2.3"
__author__ = "K"
