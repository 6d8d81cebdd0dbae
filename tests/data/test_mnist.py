import hashlib
import os

import numpy as np
import pytest

from minigrad import backend
from minigrad.data import MNIST, DownloadError, FashionMNIST, data_home, load_data, write_idx
from minigrad.data.mnist import FILES

SIZES = {"train": 12, "test": 5}


def write_fake(directory, rng, compress=True, sizes=SIZES):
    """Small MNIST-format files in ``directory``; returns {split: (images, labels)}."""
    os.makedirs(directory, exist_ok=True)
    arrays = {}
    for split, (images_name, labels_name) in FILES.items():
        n = sizes[split]
        images = rng.integers(0, 256, size=(n, 28, 28)).astype(np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        suffix = ".gz" if compress else ""
        write_idx(os.path.join(directory, images_name + suffix), images)
        write_idx(os.path.join(directory, labels_name + suffix), labels)
        arrays[split] = images, labels
    return arrays


@pytest.mark.parametrize("compress", [True, False])
def test_loads_scaled_images_and_int_labels(tmp_path, rng, device, compress):
    fake = write_fake(tmp_path, rng, compress)
    ds = MNIST(root=tmp_path, device=device)
    assert len(ds) == 12 and ds.device == device and len(ds.classes) == 10
    x, y = ds.arrays
    xp = backend.namespace(x)
    assert x.shape == (12, 28, 28) and x.dtype == xp.float32 and y.dtype == xp.int64
    np.testing.assert_allclose(backend.to_numpy(x), fake["train"][0] / np.float32(255), rtol=1e-6)
    np.testing.assert_array_equal(backend.to_numpy(y), fake["train"][1])
    test = MNIST(root=tmp_path, train=False, flatten=True)
    assert test.arrays[0].shape == (5, 784) and not test.train


def test_transforms_are_passed_on(tmp_path, rng):
    write_fake(tmp_path, rng)
    ds = MNIST(root=tmp_path, transform=lambda x: x - 0.5, target_transform=lambda y: y * 0)
    x, y = ds[0]
    assert x.min() >= -0.5 and x.max() <= 0.5 and y == 0


def test_default_root_is_the_data_home(tmp_path, rng):
    assert data_home() == str(tmp_path / "data_home")  # MINIGRAD_DATA, set by conftest
    write_fake(tmp_path / "data_home" / "mnist", rng)
    assert len(MNIST()) == 12


def test_data_home_without_the_environment_variable(monkeypatch, tmp_path):
    monkeypatch.delenv("MINIGRAD_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_home() == str(tmp_path / "xdg" / "minigrad")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert data_home() == str(tmp_path / ".cache" / "minigrad")


def test_missing_files_say_where_to_put_them(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        MNIST(root=tmp_path / "mine")
    message = str(info.value)
    assert str(tmp_path / "mine") in message and "download=True" in message
    assert "t10k-labels-idx1-ubyte.gz" in message and "MINIGRAD_DATA" in message
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        FashionMNIST()


def test_explicit_root_is_the_only_place_looked_in(tmp_path, rng):
    write_fake(tmp_path / "data_home" / "mnist", rng)
    with pytest.raises(FileNotFoundError, match="elsewhere"):
        MNIST(root=tmp_path / "elsewhere")


def test_fashion_mnist_finds_the_debian_directory(tmp_path, rng, monkeypatch, closed_port_url):
    system = tmp_path / "usr" / "share" / "datasets" / "fashion-mnist"
    fake = write_fake(system, rng)
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(system),))
    ds = FashionMNIST(train=False, download=True, mirrors=[closed_port_url])  # no download needed
    np.testing.assert_array_equal(ds.arrays[1], fake["test"][1])
    assert ds.classes[9] == "Ankle boot"
    assert not os.path.exists(tmp_path / "data_home" / "fashion-mnist")


def test_the_data_home_comes_before_the_system_directory(tmp_path, rng, monkeypatch):
    write_fake(tmp_path / "system", rng)
    mine = write_fake(tmp_path / "data_home" / "fashion-mnist", rng)
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "system"),))
    np.testing.assert_array_equal(FashionMNIST().arrays[1], mine["train"][1])


def serve_fake(server, tmp_path, rng, monkeypatch, prefix="/good/"):
    """Serve fake .gz files under ``prefix`` and make them MNIST's published checksums."""
    fake = write_fake(tmp_path / "served", rng)
    checksums = {}
    for name in os.listdir(tmp_path / "served"):
        body = (tmp_path / "served" / name).read_bytes()
        server.routes[prefix + name] = (body, False)
        checksums[name] = {"md5": hashlib.md5(body).hexdigest()}
    monkeypatch.setattr(MNIST, "checksums", checksums)
    return fake


def test_download_falls_through_the_mirrors(server, tmp_path, rng, monkeypatch):
    fake = serve_fake(server, tmp_path, rng, monkeypatch)
    mirrors = [server.url("/down/"), server.url("/good/")]
    ds = MNIST(download=True, mirrors=mirrors)
    np.testing.assert_array_equal(ds.arrays[1], fake["train"][1])
    assert server.requested == ["/down/train-images-idx3-ubyte.gz",
                                "/good/train-images-idx3-ubyte.gz",
                                "/down/train-labels-idx1-ubyte.gz",
                                "/good/train-labels-idx1-ubyte.gz"]
    home = tmp_path / "data_home" / "mnist"
    assert sorted(os.listdir(home)) == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
    MNIST(download=True, mirrors=[])  # now found on disk: nothing to fetch


def test_download_with_a_wrong_checksum_keeps_nothing(server, tmp_path, rng, monkeypatch):
    serve_fake(server, tmp_path, rng, monkeypatch)
    monkeypatch.setitem(MNIST.checksums, "train-images-idx3-ubyte.gz", {"md5": "0" * 32})
    with pytest.raises(DownloadError, match="checksum mismatch"):
        MNIST(download=True, mirrors=[server.url("/good/")])
    assert os.listdir(tmp_path / "data_home" / "mnist") == []


def test_no_network_names_the_directory(closed_port_url, tmp_path):
    with pytest.raises(DownloadError) as info:
        MNIST(root=tmp_path / "offline", download=True, mirrors=[closed_port_url])
    message = str(info.value)
    assert "Without network access" in message and str(tmp_path / "offline") in message
    assert closed_port_url + "train-images-idx3-ubyte.gz" in message


def test_load_data_returns_keras_style_tuples(tmp_path, rng, device):
    fake = write_fake(tmp_path, rng)
    (x_train, y_train), (x_test, y_test) = load_data(root=tmp_path, flatten=True, device=device)
    assert x_train.shape == (12, 784) and x_test.shape == (5, 784)
    assert backend.device_of(y_test) == device
    np.testing.assert_array_equal(backend.to_numpy(y_test), fake["test"][1])


def test_load_data_fashion_from_the_system_directory(tmp_path, rng, monkeypatch):
    write_fake(tmp_path / "system", rng)
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(tmp_path / "system"),))
    (x_train, _), _ = load_data("fashion-mnist", download=False)
    assert x_train.shape == (12, 28, 28)
    with pytest.raises(ValueError, match="unknown dataset 'cifar10'"):
        load_data("cifar10")


def test_inconsistent_files_are_rejected(tmp_path, rng):
    write_fake(tmp_path, rng)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(11, np.uint8))
    with pytest.raises(ValueError, match=r"\(12, 28, 28\) and \(11,\)"):
        MNIST(root=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.full(12, 10, np.uint8))
    with pytest.raises(ValueError, match="label 10 is out of range"):
        MNIST(root=tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(12, np.int32))
    with pytest.raises(ValueError, match="uint8"):
        MNIST(root=tmp_path)


def test_a_corrupt_file_names_itself(tmp_path, rng):
    write_fake(tmp_path, rng)
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:40])
    with pytest.raises(ValueError, match="t10k-images-idx3-ubyte.gz"):
        MNIST(root=tmp_path, train=False)


@pytest.mark.parametrize("flatten", [False, True])
def test_torchvisions_attributes(tmp_path, rng, device, flatten):
    fake = write_fake(tmp_path, rng)
    ds = FashionMNIST(root=tmp_path, device=device, flatten=flatten)
    images, labels = fake["train"]
    data = ds.data  # torchvision's: the raw uint8 images, (N, 28, 28) even when flattened
    assert data.dtype == backend.namespace(data).uint8 and backend.device_of(data) == device
    np.testing.assert_array_equal(backend.to_numpy(data), images)
    np.testing.assert_array_equal(backend.to_numpy(ds.targets), labels)
    assert ds.targets is ds.arrays[1] and ds.classes[9] == "Ankle boot"
    assert MNIST.classes[3] == "3 - three" and ds.class_to_idx["Bag"] == 8
    with pytest.raises(AttributeError, match=r"Subset\(dataset, indices\)"):
        ds.data = data
    with pytest.raises(AttributeError, match=r"Subset\(dataset, indices\)"):
        ds.targets = ds.targets
