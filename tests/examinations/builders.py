"""What the examinations' tests share: profiles, a result, and the calls a client makes."""

from tests.helpers import customs_item

PASSWORD = "correct horse battery staple"
PROFILES = """
- code: RP-VAN-CN
  title: Vanadium from China
  severity: HIGH
  channel: RED
  when: {direction: ADMISSION, origins: [CN], hs_prefixes: ["8112"]}
"""
RESULT = {"quantity": "950", "unit": "KGM", "hs_code": "7202.92", "description": "ferro-vanadium", "note": "drums"}


def send(client, headers, *items):
    return client.post("/api/v1/uploads/customs", json=list(items), headers=headers)


def login(client, name):
    response = client.post("/api/v1/session", json={"name": name, "password": PASSWORD})
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def item(**fields):
    return customs_item("26AE0001", "1", quantity="1000", unit="KGM", origin_country="CN") | fields
