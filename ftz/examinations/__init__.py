"""Examinations: a RED customs item's lot examined by an officer, the result flowing back into the books."""
