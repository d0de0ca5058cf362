def test_healthz_answers_ok_after_a_database_round_trip(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok"
