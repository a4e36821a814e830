"""Reference lists: the HS nomenclature, the strategic-goods correlation, destination risk and the
strategic terms looked for in descriptions.

Each load of a list is a new version, kept with its source, time and checksum; the latest
version of each kind is the one in force. Nothing is ever overwritten, so a finding can
always name the list version it was judged by.
"""
