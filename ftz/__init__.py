"""ftz: oversight of Free Trade Zones, where operators' stock ledgers meet customs declarations."""
