"""Issue 15: an SMS is one message of GSM-7 (160 septets); anything else would cost more or arrive as UCS-2."""

from portal.notifications.sms import GSM7_BASIC, GSM7_EXTENSION, AfricasTalkingSmsBackend, gsm_normalise, gsm_septets


def _is_gsm(text: str) -> bool:
    return all(char in GSM7_BASIC or char in GSM7_EXTENSION for char in text)


def test_curly_quotes_dashes_and_the_ellipsis_become_plain_gsm():
    text = gsm_normalise("“Payment” received – it’s KES 1,000… thanks")
    assert text == '"Payment" received - it\'s KES 1,000... thanks'


def test_accents_outside_gsm_lose_the_accent_and_emoji_are_dropped():
    assert gsm_normalise("Karibu José 👋 ça va, señora") == "Karibu José Ça va, señora"
    assert gsm_normalise("Café crème fraîche, forêt") == "Café crème fraiche, foret"
    assert gsm_normalise("Zoë ūtō ñ") == "Zoe uto ñ"
    assert gsm_normalise("中文") == ""


def test_odd_spaces_are_plain_spaces_and_runs_collapse():
    assert gsm_normalise("KES\u00a01\u202f000   paid\t ok") == "KES 1 000 paid ok"


def test_a_long_text_is_cut_to_one_sms_ending_in_three_dots():
    text = gsm_normalise("Habari " * 40)
    assert len(text) == 160 and text.endswith("...") and _is_gsm(text)
    exact = "x" * 160
    assert gsm_normalise(exact) == exact


def test_extension_characters_count_twice():
    assert gsm_septets("€[]") == 6
    text = gsm_normalise("€" * 100)
    assert gsm_septets(text) <= 160 and text.endswith("...")


def test_every_output_is_gsm7_and_fits_one_sms():
    sample = "".join(chr(code) for code in range(32, 0x3000, 7)) * 2
    text = gsm_normalise(sample)
    assert _is_gsm(text) and gsm_septets(text) <= 160


def test_africas_talking_answers_are_read_per_recipient():
    ok = AfricasTalkingSmsBackend.parse(
        {
            "SMSMessageData": {
                "Message": "Sent to 1/1 Total Cost: KES 0.8000",
                "Recipients": [
                    {
                        "statusCode": 101,
                        "number": "+254712000000",
                        "status": "Success",
                        "cost": "KES 0.8000",
                        "messageId": "ATXid_1",
                    }
                ],
            }
        }
    )
    assert (ok.status, ok.provider_message_id, ok.cost, ok.failure_reason) == ("sent", "ATXid_1", "KES 0.8000", "")
    refused = AfricasTalkingSmsBackend.parse(
        '{"SMSMessageData": {"Message": "Sent to 0/1", "Recipients": [{"statusCode": 403, "number": "+2547",'
        ' "status": "InvalidPhoneNumber", "cost": "0", "messageId": "None"}]}}'
    )
    assert refused.status == "failed" and refused.failure_reason == "InvalidPhoneNumber (403)"
    assert refused.provider_message_id == ""
    empty = AfricasTalkingSmsBackend.parse({"SMSMessageData": {"Message": "InvalidSenderId", "Recipients": []}})
    assert empty.status == "failed" and empty.failure_reason == "InvalidSenderId"
