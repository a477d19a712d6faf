# Drives google-genai (Python) client.interactions.* against the capture server whose origin is argv[1].
# Started by python.mjs; needs `pip install google-genai`.
import json
import sys

from google import genai

origin = sys.argv[1]
client = genai.Client(api_key="test-key", http_options={"base_url": origin})
weather_tool = {"type": "function", "name": "get_weather", "description": "Current weather for a city",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
result = {"type": "function_result", "call_id": "call_7f3a", "name": "get_weather", "result": {"temp_c": 21, "sky": "clear"}}


def show(label, fn):
    try:
        value = fn()
        dump = value.model_dump(exclude_none=True) if hasattr(value, "model_dump") else value
        print(f"<<< {label}: returned {json.dumps(dump, default=str)}", flush=True)
        return value
    except Exception as err:  # the point is to see what the caller gets
        print(f"<<< {label}: threw {type(err).__name__} {err}", flush=True)


show("create background + function tool", lambda: client.interactions.create(
    model="gemini-2.5-flash", input="Weather in Paris? Use get_weather.", tools=[weather_tool],
    system_instruction="Answer in one sentence.", background=True, store=True,
    webhook_config={"uris": ["https://hooks.example.com/i"], "user_metadata": {"order": "o-42"}}))
i1 = show("get int_1 (requires_action)", lambda: client.interactions.get("int_1"))
if i1 is not None:
    print(f"    steps[-1] is {type(i1.steps[-1]).__name__} id={i1.steps[-1].id} arguments={i1.steps[-1].arguments}", flush=True)
show("resume with function_result", lambda: client.interactions.create(
    model="gemini-2.5-flash", previous_interaction_id="int_1", input=[result], tools=[weather_tool], background=True))
i2 = show("get int_2 (completed)", lambda: client.interactions.get("int_2"))
if i2 is not None:
    print(f"    output_text={getattr(i2, 'output_text', None)!r}", flush=True)
show("get a minimal body {id, status}", lambda: client.interactions.get("minimal"))
show("cancel int_3", lambda: client.interactions.cancel("int_3"))
show("delete int_3", lambda: client.interactions.delete("int_3"))
show("get missing (404)", lambda: client.interactions.get("missing"))
show("create -> 400", lambda: client.interactions.create(model="gemini-2.5-flash", input="please fail 400",
                                                         webhook_config={"uris": ["https://h.example.com"]}))
show("stream create", lambda: [e.model_dump(exclude_none=True) for e in client.interactions.create(
    model="gemini-2.5-flash", input="stream", stream=True)])
