"""Groups of things tied in pairs: what partitions, zone groups and routes are built on."""

from reconciliation.groups import groups, roots


def test_things_tied_through_others_share_a_group_and_the_untied_stand_alone():
    assert groups([5, 1, 2, 3, 4], [(1, 3), (3, 5)]) == [[1, 3, 5], [2], [4]]


def test_a_pair_naming_something_outside_the_nodes_ties_nothing():
    assert groups([1, 2], [(1, 9), (9, 2)]) == [[1], [2]]


def test_every_node_of_a_chain_has_the_same_representative():
    rooted = roots([(("A", 1), ("B", 1)), (("B", 1), ("C", 1)), (("D", 1), ("E", 1))])
    assert len({rooted[("A", 1)], rooted[("B", 1)], rooted[("C", 1)]}) == 1
    assert rooted[("D", 1)] == rooted[("E", 1)] != rooted[("A", 1)]
