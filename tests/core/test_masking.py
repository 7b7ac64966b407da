from core.masking import mask_id_number, mask_name, mask_phone, pii_hash


def test_identity_numbers_keep_four_and_four():
    assert mask_id_number("11010119900307002X") == "1101**********002X"


def test_phone_numbers_keep_three_and_four():
    assert mask_phone("13812345678") == "138****5678"


def test_names_keep_the_surname():
    assert mask_name("张三丰") == "张**"


def test_empty_values_mask_to_empty():
    assert mask_id_number("") == "" and mask_phone(None) == ""


def test_the_keyed_hash_ignores_case_and_spaces_and_hides_the_number(settings):
    first = pii_hash("11010119900307002x ")
    assert first == pii_hash("11010119900307002X")
    assert "110101" not in first
    settings.PII_HASH_KEY = "another key"
    assert pii_hash("11010119900307002X") != first
