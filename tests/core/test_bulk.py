from core.bulk import csv_for_copy


def test_null_and_empty_text_stay_apart_in_copy_input():
    text = csv_for_copy([(1, None, "", 'a "quoted", value')]).getvalue()
    assert text == '"1",,"","a ""quoted"", value"\n'
