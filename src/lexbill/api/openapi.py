"""The OpenAPI schema as the API really answers: every error documented as problem+json.

django-ninja documents only the responses an operation declares, so the errors that the problem
handlers (``lexbill.api.problems``) give for every operation — no token, a role the services
refuse, an id the caller may not see, a state that forbids the change, input a rule refuses —
would be missing from the schema, and a client generated from it (or schemathesis checking
status codes and content types) would meet undocumented answers. ``LexbillNinjaAPI`` adds them
to each operation once, with the problem body's schema, after ninja has built the rest.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from lexbill.api.problems import PROBLEM_CONTENT_TYPE

PROBLEM_SCHEMA_NAME = "Problem"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": PROBLEM_SCHEMA_NAME,
    "type": "object",
    "description": "RFC 9457 problem details; `field` and `line` point at the offending value.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
        "line": {"type": "integer"},
        "errors": {
            "type": "array",
            "description": "every problem with the request's input, when it did not validate",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {
                    "field": {"type": ["string", "null"]},
                    "message": {"type": ["string", "null"]},
                },
            },
        },
    },
}

PROBLEM_RESPONSES: dict[str, str] = {
    "400": "The body is not the JSON the operation reads",
    "401": "No token, or a token that is unknown or revoked",
    "403": "The token's owner has a role that may not do this",
    "404": "Nothing with that id, or nothing the token's owner may see",
    "409": "The record's state forbids the change (a posted record, a status that moved on)",
    "422": "The input breaks a rule or does not validate; `field` names it",
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the problem responses to every operation that does not document them itself."""
    schema.setdefault("components", {}).setdefault("schemas", {})[PROBLEM_SCHEMA_NAME] = (
        PROBLEM_SCHEMA
    )
    reference = {"$ref": f"#/components/schemas/{PROBLEM_SCHEMA_NAME}"}
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for status, description in PROBLEM_RESPONSES.items():
                if status in responses or int(status) in responses:
                    continue
                responses[status] = {
                    "description": description,
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": reference}},
                }
    return schema


class LexbillNinjaAPI(NinjaAPI):
    """A ``NinjaAPI`` whose schema documents the problem responses of every operation."""

    def get_openapi_schema(
        self,
        *,
        path_prefix: str | None = None,
        path_params: dict[str, Any] | None = None,
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        return document_problems(schema)
