def test_world_builds(world):
    assert world.xihu.path == "330000/330100/330106/"
    assert world.grid.depth == 5
