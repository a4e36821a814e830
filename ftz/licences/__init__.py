"""The licence register: export licences from the licensing authority, versions kept."""
