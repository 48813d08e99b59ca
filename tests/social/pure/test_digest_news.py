from social.pure.digest_news import COMMENTS_QUOTED, QUOTE_CHARS, group_news, quote, spread


def test_news_is_grouped_per_pet_by_name_with_who_added_what():
    news = group_news(
        [("p2", "Pip", "frank", 3), ("p2", "Pip", "olivia", 2), ("p1", "biscuit", "frank", 1)],
        [("p2", "Pip", "olivia", "Lovely"), ("p3", "Ziggy", "frank", "Hi")],
    )
    assert [item.name for item in news] == ["biscuit", "Pip", "Ziggy"]
    assert news[1].summary() == "5 new photos by frank and olivia; 1 comment"
    assert news[0].summary() == "1 new photo by frank"
    assert news[2].summary() == "1 comment"


def test_a_pet_quotes_its_latest_comments_and_counts_them_all():
    comments = [("p", "Pip", "ann", f"comment {n}") for n in range(5)]
    (item,) = group_news([], comments)
    assert item.comments == 5
    assert [q.text for q in item.quotes] == [f"comment {n}" for n in range(5 - COMMENTS_QUOTED, 5)]


def test_a_quote_is_one_line_and_bounded():
    assert quote("a\nb\r\n\tc\x00d\u2028e") == "a b c d e"
    long = quote("x" * 5000)
    assert len(long) == QUOTE_CHARS
    assert long.endswith("…")


def test_nothing_happened_is_no_news():
    assert group_news([], []) == []


def test_thumbnails_are_taken_in_turns_from_each_pet_newest_first():
    photos = [(1, "pip"), (2, "pip"), (3, "pip"), (4, "pip"), (5, "rex"), (6, "pip"), (7, "max")]
    assert spread(photos, 6) == [1, 5, 7, 2, 3, 4]
    assert spread(photos[:2], 6) == [1, 2]
    assert spread([], 6) == []


def test_counts_given_apart_are_the_comments_counted_when_only_the_quoted_are_read():
    comments = [("p1", "Pip", "ann", f"c{n}") for n in range(3)]
    (item,) = group_news([], comments, {"p1": 40})
    assert item.comments == 40
    assert [q.text for q in item.quotes] == ["c0", "c1", "c2"]
