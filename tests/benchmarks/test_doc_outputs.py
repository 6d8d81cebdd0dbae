"""doc_outputs.py: each printed value beside the page line that printed it; failures counted."""
import io
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks"))
import doc_outputs

PAGE = """\
# A page

```python
x = 6
print(x * 7)          # 42
```

Prose with `print(0)`, which is not run.

- a list item:

  ```python
  print(x + 1, "items")   # 7 items
  import sys; sys.stdout.write("direct\\n")
  ```

```python
raise ValueError("broken snippet")
```
"""


def test_values_appear_beside_their_lines_and_failures_are_counted(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(PAGE)
    out, cwd = io.StringIO(), os.getcwd()
    failures = doc_outputs.run_page(str(page), out=out)
    lines = out.getvalue().splitlines()
    assert lines[:4] == ["page.md:5: print(x * 7)          # 42", "    -> 42",
                         'page.md:13: print(x + 1, "items")   # 7 items', "    -> 7 items"]
    assert lines[4:6] == ["page.md:0: (outside the page)", "    -> direct"]
    assert lines[6] == "page.md:18: the snippet raised"
    assert "ValueError: broken snippet" in out.getvalue()
    assert failures == 1
    assert os.getcwd() == cwd                     # the snippets ran in a directory of their own
