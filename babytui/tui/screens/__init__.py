"""Screens pushed over the main one: the help screen."""
