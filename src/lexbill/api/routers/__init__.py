"""One router per part of the business; ``lexbill.api.main`` mounts them."""
