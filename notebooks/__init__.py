"""The chapter as a notebook (ch05.ipynb), and execute.py, which runs it and stores its outputs."""
