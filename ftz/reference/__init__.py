"""Reference lists: the HS nomenclature, the strategic-goods correlation and destination risk.

Each load of a list is a new version, kept with its source, time and checksum; the latest
version of each kind is the one in force. Nothing is ever overwritten, so a finding can
always name the list version it was judged by.
"""
