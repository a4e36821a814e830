"""The API description: every route documented, with an example a reader can copy."""

from fastapi.testclient import TestClient

from ftz.app import create_app


def _has_example(schema: dict, components: dict, depth: int = 0) -> bool:
    if depth > 6 or not isinstance(schema, dict):
        return False
    if "example" in schema or schema.get("examples"):
        return True
    if "$ref" in schema:
        return _has_example(components[schema["$ref"].rsplit("/", 1)[1]], components, depth + 1)
    parts = [schema.get("items", {}), *schema.get("properties", {}).values(), *schema.get("anyOf", [])]
    return any(_has_example(part, components, depth + 1) for part in parts)


def test_every_route_is_described_with_an_example():
    spec = TestClient(create_app()).get("/openapi.json").json()
    components = spec["components"]["schemas"]
    missing = []
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            bodies = operation.get("requestBody", {}).get("content", {}).values()
            answers = [
                content
                for status, response in operation["responses"].items()
                if status.startswith("2")
                for content in response.get("content", {}).values()
            ]
            params = operation.get("parameters", [])
            examples = (
                any("example" in b or _has_example(b.get("schema", {}), components) for b in bodies)
                or any(_has_example(a.get("schema", {}), components) for a in answers)
                or any("example" in p or _has_example(p.get("schema", {}), components) for p in params)
            )
            if not operation.get("summary") or not examples:
                missing.append(f"{method.upper()} {path}")
    assert path.startswith("/api/v1/") and not missing, missing
