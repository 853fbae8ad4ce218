# json: round trips of nested data, unicode, floats, sort_keys/indent,
# a large document through a file, errors.
import json, os
doc = {"name": "bulwark", "list": list(range(10)), "nested": {"a": [1, 2, {"b": None}], "t": True},
       "unicode": "h\u00e9llo \u4e16\u754c \U0001f600", "float": 0.1 + 0.2, "big": 2 ** 70}
s = json.dumps(doc, sort_keys=True)
print(s)
print(json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False))
print("round trip:", json.loads(s) == doc)
big = [{"id": i, "v": str(i) * 3, "f": i / 7} for i in range(50000)]
with open("/tmp/big.json", "w") as f: json.dump(big, f)
with open("/tmp/big.json") as f: back = json.load(f)
print("big:", len(back), back == big, os.path.getsize("/tmp/big.json"))
for bad in ("{", "[1,]", '{"a" 1}', "nan"):
    try: json.loads(bad)
    except json.JSONDecodeError as e: print("error:", repr(bad), e.msg, e.pos)
print(json.dumps([float("inf"), float("nan")]))
