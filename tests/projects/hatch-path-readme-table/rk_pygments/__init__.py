"""
    Pygments
    ~~~~~~~~
"""

__version__ = '1.2.3'
__docformat__ = 'restructuredtext'
