"""Rendering and splitting, checked against the fake's own Telegram-HTML parser."""

from __future__ import annotations

import pytest

from adapters.telegram_format import (
    MAX_CHARS,
    progress_html,
    progress_view,
    split_text,
    tg_len,
    to_html,
)
from bot.post_length import graphemes
from tests.telegram.fake_wire import ApiError, parse_html


def rendered_ok(part: str) -> None:
    html = to_html(part)
    assert parse_html(html) == part  # valid for Telegram, and shows exactly the text
    assert tg_len(parse_html(html)) <= MAX_CHARS  # Telegram counts the text it shows


def shows(markdown: str, html: str, seen: str) -> None:
    """A model's `markdown` is sent as `html`, which Telegram accepts and shows as `seen`."""
    assert to_html(markdown) == html
    assert parse_html(html) == seen


def test_escaping_and_draft_headers() -> None:
    text = "3 captions for X\n\n#41 (warm) (92/280)\nRain & <b>trams</b> > sun"
    html = to_html(text)
    assert "<b>#41 (warm) (92/280)</b>" in html
    assert "Rain &amp; &lt;b&gt;trams&lt;/b&gt; &gt; sun" in html
    rendered_ok(text)


def test_a_chat_model_s_markdown_shows_as_telegram_formats_it() -> None:
    answer = "## Shot list\n**Tip:** shoot at `f/2.8` & wait for the bell\n#Lisbon #Tram28"
    shows(
        answer,
        (
            "<b>Shot list</b>\n<b>Tip:</b> shoot at <code>f/2.8</code> &amp; wait for the bell\n"
            "#Lisbon #Tram28"
        ),
        "Shot list\nTip: shoot at f/2.8 & wait for the bell\n#Lisbon #Tram28",
    )


def test_a_chat_model_s_italics_show_as_italics_and_lone_stars_stay() -> None:
    shows(
        "Shoot *before* sunrise: 5 * 3 shots, then\n* one wide",
        "Shoot <i>before</i> sunrise: 5 * 3 shots, then\n* one wide",
        "Shoot before sunrise: 5 * 3 shots, then\n* one wide",
    )


def test_a_chat_model_s_other_emphasis_shows_formatted() -> None:
    """***bold italic***, ~~strike~~, __bold__, **bold around `code`** and a heading's
    own **bold** or `code` showed their marks; names like __init__ and
    MUSE_LLM__PROVIDER stay as typed."""
    answer = (
        "### **Step 1:** run `make`\n***Big*** news: ~~old~~ **use `git rebase`** and"
        " __do it now__, not __init__ or MUSE_LLM__PROVIDER"
    )
    shows(
        answer,
        (
            "<b>Step 1: run <code>make</code></b>\n<b><i>Big</i></b> news: <s>old</s> "
            "<b>use <code>git rebase</code></b> and <b>do it now</b>, not __init__ or "
            "MUSE_LLM__PROVIDER"
        ),
        (
            "Step 1: run make\nBig news: old use git rebase and do it now, not __init__ or "
            "MUSE_LLM__PROVIDER"
        ),
    )


def test_a_chat_model_s_quotes_show_as_quotes() -> None:
    """ "> …" lines showed their > marks; now they are one quote block. A > inside a
    line ("3 > 2") or without a space (">_<") stays as typed."""
    answer = "Try this one:\n> **Rain** on the tram\n>\n> > stops at 5\n3 > 2 >_<"
    shows(
        answer,
        (
            "Try this one:\n<blockquote><b>Rain</b> on the tram\n\n&gt; stops at 5</blockquote>"
            "\n3 &gt; 2 &gt;_&lt;"
        ),
        "Try this one:\nRain on the tram\n\n> stops at 5\n3 > 2 >_<",
    )


def test_a_bare_url_keeps_its_stars_underscores_and_tildes() -> None:
    """Telegram links a URL as shown: https://site.io/*draft*/__a-b__/~~x~~ showed in
    italics, bold and struck through, and the link lost those characters. A URL is
    now never formatted inside; around it, it still is."""
    url = "https://site.io/*draft*/__a-b__/~~x~~"
    shows(
        f"Open {url} or **{url}**",
        f"Open {url} or <b>{url}</b>",
        f"Open {url} or {url}",
    )


def test_a_chat_model_s_links_show_as_links() -> None:
    """A model's [label](url) showed as typed, brackets and all; now as a link. In
    `code` it stays as typed."""
    answer = "Try [my shop](https://example.com/?a=1&b=2), or `[x](https://x.io)`."
    html = to_html(answer)
    assert '<a href="https://example.com/?a=1&amp;b=2">my shop</a>' in html
    assert "<code>[x](https://x.io)</code>" in html
    assert parse_html(html) == "Try my shop, or [x](https://x.io)."
    # Bold around a link, or inside it: tags never cross.
    html = to_html(
        "**[Shop](https://e.com)**, [**new**](https://e.com/n) and **[**](https://e.com)"
    )
    assert html.startswith('<b><a href="https://e.com">Shop</a></b>, ')
    assert '<a href="https://e.com/n"><b>new</b></a>' in html
    assert parse_html(html) == "Shop, new and ****"  # "**", then a link shown as "**"


def test_a_link_with_parentheses_in_its_url_is_a_link() -> None:
    """[Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)) showed as typed,
    brackets, URL and all; it is a link now, to the whole URL."""
    shows(
        "See [Mercury](https://en.wikipedia.org/wiki/Mercury_(planet)).",
        'See <a href="https://en.wikipedia.org/wiki/Mercury_(planet)">Mercury</a>.',
        "See Mercury.",
    )


@pytest.mark.parametrize(
    ("text", "boundary"),
    [
        (". ".join(f"Sentence number {i} about a<b&c" for i in range(400)) + ".", "."),
        (" ".join(f"word{i}&" for i in range(1500)), ""),
        ("🚋" * 3000, ""),  # emoji count twice: UTF-16
        ("x" * 5000 + " &&&& " + "y" * 100, ""),  # one giant word: cut between characters
    ],
)
def test_split_fits_and_loses_nothing(text: str, boundary: str) -> None:
    parts = split_text(text)
    assert len(parts) > 1
    for part in parts:
        rendered_ok(part)
    assert "".join("".join(p.split()) for p in parts) == "".join(text.split())
    if boundary:
        assert all(p.endswith(boundary) for p in parts[:-1])
    if "word1&" in text:  # never inside a word
        words = set(text.split())
        assert all(p.split()[0] in words and p.split()[-1] in words for p in parts)


def test_a_giant_word_of_emoji_is_cut_between_emoji() -> None:
    """A cut inside a run of emoji split a flag (every flag after it then paired
    wrongly) or left a skin tone without its thumb; now it falls between emoji."""
    text = "x" + "🇵🇹👍🏽" * 1500
    parts = split_text(text)
    assert len(parts) == 3 and "".join(parts) == text
    for part in parts:
        rendered_ok(part)
        assert set(graphemes(part)) <= {"x", "🇵🇹", "👍🏽"}


def test_paragraphs_win_over_sentences() -> None:
    para = "Short sentence here. " * 60
    text = "\n\n".join([para.strip()] * 6)
    parts = split_text(text)
    assert all(p.strip() + "\n\n" in text + "\n\n" for p in parts)


def test_fake_rejects_broken_html_like_telegram() -> None:
    for bad in ("<b>open", "a < b", "<script>x</script>", "&nbsp;", "<b><i>x</b></i>"):
        with pytest.raises(ApiError, match="can't parse entities"):
            parse_html(bad)


def test_a_chat_model_s_code_blocks_show_as_code() -> None:
    """A model's ``` block showed as typed, fences and all, its "# comment" in bold;
    now it is a code block, nothing formatted or lost inside it."""
    answer = "Try:\n```python\n# a <b> & **c**\nprint(`x`)\n```\nThen **run** ``a ` b``."
    shows(
        answer,
        (
            'Try:\n<pre><code class="language-python"># a &lt;b&gt; &amp; **c**\nprint(`x`)'
            "</code></pre>\nThen <b>run</b> <code>a ` b</code>."
        ),
        "Try:\n# a <b> & **c**\nprint(`x`)\nThen run a ` b.",
    )


def test_a_code_block_cut_in_two_is_code_in_both_parts() -> None:
    code = "\n".join(f"    step_{i} = <tram> & {i}  # **not bold**" for i in range(120))
    answer = f"Here:\n```python\n{code}\n```\nThat's **all**."
    parts = split_text(answer)
    assert len(parts) == 2
    for part in parts:
        html = to_html(part)
        assert "```" not in parse_html(html) and html.count("<pre>") + html.count("<pre ") == 1
        assert tg_len(parse_html(html)) <= MAX_CHARS
    shown = "\n".join(parse_html(to_html(p)) for p in parts)
    assert shown.split() == f"Here:\n{code}\nThat's all.".split()


def test_a_code_block_never_closed_is_code_to_the_end() -> None:
    """An answer cut by the model's max tokens inside a ``` block showed its fence as
    typed and the code as prose (its "# comment" bold, its **x** unstarred). As in
    Markdown, the block now runs to the end: code, closed there, nothing lost."""
    answer = "Run this:\n```python\n# step <1> & **x**\nfor tram in line:"
    shows(
        answer,
        (
            'Run this:\n<pre><code class="language-python"># step &lt;1&gt; &amp; **x**\n'
            "for tram in line:</code></pre>"
        ),
        "Run this:\n# step <1> & **x**\nfor tram in line:",
    )


def test_a_markdown_table_shows_as_one_line_a_row() -> None:
    """Telegram has no tables: a model's | a | b | table showed as typed, pipes and
    dashes. Each row is now a line of "header: cell" pairs, which reads on a phone's
    width (a <pre> grid wraps there, can't keep a cell's **bold** or link, and can't be
    aligned once a cell holds CJK or emoji). An escaped \\| stays a pipe; a table in a
    code block stays as typed."""
    answer = (
        "Best times:\n"
        "| Platform | Time | Tip |\n"
        "|:---|---:|---|\n"
        "| **Instagram** | 18:00 | a \\| b |\n"
        "| 抖音 🚋 | 21:00 | |\n"
        "\n"
        "```\n| x | y |\n|---|---|\n```"
    )
    shows(
        answer,
        (
            "Best times:\n"
            "• Platform: <b>Instagram</b> · Time: 18:00 · Tip: a | b\n"
            "• Platform: 抖音 🚋 · Time: 21:00\n"
            "\n"
            "<pre>| x | y |\n|---|---|</pre>"
        ),
        (
            "Best times:\n"
            "• Platform: Instagram · Time: 18:00 · Tip: a | b\n"
            "• Platform: 抖音 🚋 · Time: 21:00\n"
            "\n"
            "| x | y |\n|---|---|"
        ),
    )
    # A line with pipes but no |---| row under it is no table.
    assert to_html("a | b\nc | d") == "a | b\nc | d"


def test_a_long_code_block_being_written_shows_as_code_past_one_message() -> None:
    """Past one message the view starts "… " and reopens the block being written: it
    still shows as code, its fence not as typed."""
    code = "\n".join(f"step_{i} = '<tram>' & {i}" for i in range(300))
    html = progress_html(progress_view(f"Script:\n```python\n{code}"))
    assert html.startswith('… <pre><code class="language-python">step_')
    assert html.endswith("step_299 = '&lt;tram&gt;' &amp; 299</code></pre> ✍️")
    assert tg_len(parse_html(html)) <= MAX_CHARS


def test_a_markdown_image_shows_as_a_link_without_its_bang() -> None:
    """![a cat](https://…) showed as "!a cat", a stray "!" before a link: Telegram shows
    no image in a message's text, so it is a link to the picture, labelled with its alt."""
    shows(
        "Mood: ![a cat](https://x.io/cat.png)!",
        'Mood: <a href="https://x.io/cat.png">a cat</a>!',
        "Mood: a cat!",
    )


def test_an_answer_with_windows_line_breaks_ends_its_code_block_and_has_tables() -> None:
    """A model that writes \\r\\n line breaks: its closing ``` line ends in \\r, and was
    not seen as one, so since a block never closed runs to the end, the prose after
    the block showed as code; its table showed as typed. Both read as with \\n."""
    html = to_html("```\r\nx = 1\r\n```\r\nThen **run** it.\r\n| a | b |\r\n|--|--|\r\n| 1 | 2 |")
    assert html == "<pre>x = 1\r</pre>\nThen <b>run</b> it.\r\n• a: 1 · b: 2"


def test_markdown_escapes_show_the_character_not_formatting() -> None:
    r"""A model that escapes a mark to show it (5 \* 3, \*not italic\*, \_\_init\_\_)
    got italics with backslashes around them; as in Markdown, "\*" now shows "*" and
    formats nothing. In `code` a backslash stays as typed."""
    shows(
        r"5 \* 3, \*not italic\*, \_\_init\_\_, \[x\](https://x.io) and `a\*b`",
        r"5 * 3, *not italic*, __init__, [x](https://x.io) and <code>a\*b</code>",
        r"5 * 3, *not italic*, __init__, [x](https://x.io) and a\*b",
    )
