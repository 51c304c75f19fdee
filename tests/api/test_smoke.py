def test_create_and_list(api, world):
    r = api.post("/conversations", {"subject": "Paket belum sampai", "customer": {"name": "Siti", "phone": "0812-3456-7890", "email": "siti@contoh.id"}, "message": {"text": "Halo"}})
    assert r.status_code == 201, r.content
    r2 = api.get("/conversations")
    assert r2.status_code == 200, r2.content
    assert r2.json()["items"][0]["subject"] == "Paket belum sampai"
    cid = r.json()["id"]
    r3 = api.post(f"/conversations/{cid}/reply", {"text": "Baik"})
    assert r3.status_code == 201, r3.content
