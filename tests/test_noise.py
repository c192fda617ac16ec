import numpy as np

from esrl.es.noise import NoiseTable


def test_slices_are_views_of_one_fixed_gaussian_table():
    table = NoiseTable.in_memory(seed=4, size=10_000)
    np.testing.assert_array_equal(table.get(17, 5), table.table[17:22])
    assert np.shares_memory(table.get(17, 5), table.table)
    np.testing.assert_array_equal(
        table.stack(np.array([3, 0]), 4), np.stack([table.table[3:7], table.table[0:4]])
    )
    assert abs(table.table.mean()) < 0.05 and abs(table.table.std() - 1) < 0.05


def test_indices_leave_room_for_a_full_slice():
    table = NoiseTable.in_memory(seed=0, size=100)
    indices = table.sample_indices(np.random.default_rng(0), dim=90, count=1000)
    assert indices.min() >= 0 and indices.max() <= 10 and len(set(indices)) == 11


def test_shared_table_is_created_once_and_equals_the_private_one(tmp_path):
    first = NoiseTable.shared(seed=5, size=4096, directory=tmp_path)
    files = list(tmp_path.glob("*.f32"))
    assert len(files) == 1
    mtime = files[0].stat().st_mtime_ns
    second = NoiseTable.shared(seed=5, size=4096, directory=tmp_path)
    assert files[0].stat().st_mtime_ns == mtime  # attached, not rewritten
    np.testing.assert_array_equal(first.table, NoiseTable.in_memory(5, 4096).table)
    np.testing.assert_array_equal(first.table, second.table)
    assert isinstance(second.table, np.memmap) and not second.table.flags.writeable


def test_a_torn_table_file_is_rebuilt(tmp_path):
    NoiseTable.shared(seed=6, size=1024, directory=tmp_path)
    path = next(tmp_path.glob("*.f32"))
    path.write_bytes(b"\0" * 100)  # e.g. a crash of some other tool mid-write
    table = NoiseTable.shared(seed=6, size=1024, directory=tmp_path)
    np.testing.assert_array_equal(table.table, NoiseTable.in_memory(6, 1024).table)
