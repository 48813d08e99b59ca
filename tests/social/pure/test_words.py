from social.pure.words import counted, liked_by


def test_counts_read_as_words():
    assert counted(0, "like", "likes") == "no likes"
    assert counted(1, "like", "likes") == "1 like"
    assert counted(1234, "comment", "comments") == "1,234 comments"


def test_nobody_likes_it_says_nothing():
    assert liked_by([], you="ann") == ""


def test_you_come_first_and_the_others_in_order():
    assert liked_by(["bob", "ann", "cat"], you="ann") == "Liked by you, bob and cat"
    assert liked_by(["bob"], you="ann") == "Liked by bob"
    assert liked_by(["ann"], you="ann") == "Liked by you"


def test_past_the_names_shown_the_rest_are_counted():
    names = [f"user{n}" for n in range(8)]
    assert liked_by(names, shown=5) == "Liked by user0, user1, user2, user3, user4 and 3 others"
    assert liked_by(names[:6], shown=5).endswith("and 1 other")
