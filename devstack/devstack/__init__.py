"""The local Havre platform: real upstream components started as local processes.

Everything here is for tests and the one-machine demo; the operator never imports it.
"""
