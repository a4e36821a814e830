"""Free zones and the operators licensed to work in them: the registry every record hangs on."""
