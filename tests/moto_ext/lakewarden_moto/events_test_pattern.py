"""EventBridge `TestEventPattern`, which moto 5.2.5 routes but does not implement (empty 200).

Follows the API Reference page "TestEventPattern" (Amazon EventBridge): `EventPattern` is at
most 4,096 characters and must be a valid pattern (InvalidEventPatternException otherwise);
`Event` must be a JSON object with the mandatory fields `id`, `account`, `source`, `time`,
`region`, `resources` and `detail-type`; the answer is `{"Result": true|false}`.

Matching uses moto's own pattern matcher (the one its rules use to route PutEvents), so what
passes here is what moto would deliver. That matcher is weaker than AWS's in ways the tests must
not rely on: it does not descend into arrays of objects in the event, and it validates patterns
less strictly than AWS (it rejects only non-array leaves and empty arrays).
"""
import json

MANDATORY_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")
MAX_PATTERN_LENGTH = 4096


def test_event_pattern(raw_pattern, raw_event):
    """True/False, or raises moto's EventBridge exceptions as AWS would answer."""
    from moto.events.exceptions import InvalidEventPatternException, ValidationException
    from moto.events.models import EventPattern, EventPatternParser

    if not raw_pattern or len(raw_pattern) > MAX_PATTERN_LENGTH:
        raise ValidationException(
            f"1 validation error detected: Value at 'eventPattern' failed to satisfy constraint: "
            f"Member must have length less than or equal to {MAX_PATTERN_LENGTH}")
    pattern = EventPatternParser(raw_pattern).parse()
    if not isinstance(pattern, dict):
        raise InvalidEventPatternException(reason="Event pattern must be a JSON object")
    try:
        event = json.loads(raw_event or "")
    except ValueError:
        raise ValidationException("Parameter Event is not valid.")
    if not isinstance(event, dict) or any(f not in event for f in MANDATORY_EVENT_FIELDS):
        raise ValidationException("Parameter Event is not valid.")
    return EventPattern(raw_pattern, pattern).matches_event(event)


def install():
    from moto.events.responses import EventsHandler

    def handler(self):
        result = test_event_pattern(self._get_param("EventPattern"), self._get_param("Event"))
        return json.dumps({"Result": bool(result)}), self.response_headers

    EventsHandler.test_event_pattern = handler
