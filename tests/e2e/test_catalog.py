"""Catalog endpoints: /products (filters, paging, exact prices), /products/{id}, /categories."""

import harness
from harness import DaemonTestCase, RUN_ID

PRODUCT_FIELDS = {"id", "sku", "name", "category", "price_usdt", "min_quantity", "stock"}


class CatalogTest(DaemonTestCase):
    MODULE = "catalog"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.daemon
        cls.key = d.create_key(harness.label(cls.MODULE))["api_key"]
        ids = harness.unique_ids(20)
        cls.cat_a = f"e2e-cat-{RUN_ID}-alpha"
        cls.cat_b = f"e2e-cat-{RUN_ID}-beta"
        cls.cat_empty = f"e2e-cat-{RUN_ID}-soldout"
        cls.cat_page = f"e2e-cat-{RUN_ID}-paging"

        def product(pid, category, price, min_quantity, stock, tag):
            return {"id": pid, "sku": f"E2E-{RUN_ID}-{tag}", "name": f"E2E product {tag}",
                    "category": category, "price_usdt": price, "min_quantity": min_quantity,
                    "_stock": stock}

        # price_usdt is the exact decimal text; the expected JSON number follows it.
        cls.products = [
            product(ids[0], cls.cat_a, "1.25", 1, 3, "A1"),
            product(ids[1], cls.cat_a, "50", 10, 1, "A2"),
            product(ids[2], cls.cat_a, "0.5", 1, 0, "A3-soldout"),
            product(ids[3], cls.cat_b, "2.000001", 5, 5, "B1"),
            product(ids[4], cls.cat_b, "1", 1, 2, "B2"),
            product(ids[5], cls.cat_empty, "3", 1, 0, "E1"),
        ]
        cls.paging = [product(ids[10 + i], cls.cat_page, "7.5", 1, 1, f"P{i}") for i in range(7)]
        everything = cls.products + cls.paging
        imported = d.import_catalog([{k: v for k, v in p.items() if k != "_stock"}
                                     for p in everything])
        assert imported == {"inserted": len(everything), "updated": 0}, imported
        for p in everything:
            if p["_stock"]:
                res = d.import_stock(p["id"], harness.stock_items(f"{p['sku']}", p["_stock"]))
                assert res == {"product_id": p["id"], "added": p["_stock"], "duplicates": 0,
                               "stock": p["_stock"]}, res

    # ----- helpers -------------------------------------------------------------------------

    def expected(self, p):
        return {"id": p["id"], "sku": p["sku"], "name": p["name"], "category": p["category"],
                "price_usdt": float(p["price_usdt"]), "min_quantity": p["min_quantity"],
                "stock": p["_stock"]}

    def list_products(self, **params):
        r = self.daemon.get("/products", key=self.key, params=params)
        body = self.assertJson(r)
        self.assertEqual(set(body), {"items", "page", "page_size", "total"}, body)
        for item in body["items"]:
            self.assertEqual(set(item), PRODUCT_FIELDS, item)
        return body, r

    def ids(self, body):
        return [i["id"] for i in body["items"]]

    # ----- /products -----------------------------------------------------------------------

    def test_category_filter_hides_sold_out_by_default(self):
        body, _ = self.list_products(category=self.cat_a)
        p = self.products
        self.assertEqual(body["items"], [self.expected(p[0]), self.expected(p[1])])
        self.assertEqual(body["total"], 2)
        self.assertEqual(body["page"], 1)
        self.assertEqual(body["page_size"], 50)

    def test_min_qty_zero_shows_sold_out(self):
        body, _ = self.list_products(category=self.cat_a, min_qty=0)
        p = self.products
        self.assertEqual(body["items"], [self.expected(p[0]), self.expected(p[1]),
                                         self.expected(p[2])])
        self.assertEqual(body["total"], 3)

    def test_min_qty_filters_on_stock(self):
        p = self.products
        body, _ = self.list_products(category=self.cat_a, min_qty=3)
        self.assertEqual(self.ids(body), [p[0]["id"]])
        self.assertEqual(body["total"], 1)
        body, _ = self.list_products(category=self.cat_a, min_qty=4)
        self.assertEqual(body["items"], [])
        self.assertEqual(body["total"], 0)
        body, _ = self.list_products(category=self.cat_b, min_qty=5)
        self.assertEqual(self.ids(body), [p[3]["id"]])

    def test_prices_are_exact_json_numbers(self):
        _, r = self.list_products(category=self.cat_a)
        self.assertIn('"price_usdt":1.25', r.text)
        self.assertIn('"price_usdt":50.0', r.text)
        _, r = self.list_products(category=self.cat_b)
        self.assertIn('"price_usdt":2.000001', r.text)
        self.assertIn('"price_usdt":1.0', r.text)

    def test_price_filters_are_inclusive_decimals(self):
        p = self.products
        cases = [
            ({"min_price": "1", "max_price": "1"}, [p[4]]),
            ({"min_price": "2.000001"}, [p[3]]),
            ({"min_price": "1.5"}, [p[3]]),
            ({"max_price": "2"}, [p[4]]),
            ({"max_price": "2.000001"}, [p[3], p[4]]),
            ({"min_price": "2.000002"}, []),
            ({"min_price": "0.99", "max_price": "2.5"}, [p[3], p[4]]),
        ]
        for params, want in cases:
            with self.subTest(**params):
                body, _ = self.list_products(category=self.cat_b, **params)
                self.assertEqual(self.ids(body), [x["id"] for x in want])
                self.assertEqual(body["total"], len(want))
        body, _ = self.list_products(category=self.cat_a, min_price="1.25", max_price="1.25")
        self.assertEqual(body["items"], [self.expected(p[0])])

    def test_sku_filter(self):
        p = self.products[3]
        body, _ = self.list_products(sku=p["sku"])
        self.assertEqual(body["items"], [self.expected(p)])
        self.assertEqual(body["total"], 1)
        body, _ = self.list_products(sku=f"E2E-{RUN_ID}-no-such-sku")
        self.assertEqual(body["items"], [])
        self.assertEqual(body["total"], 0)

    def test_paging_and_total(self):
        want = [x["id"] for x in self.paging]
        self.assertEqual(want, sorted(want))
        pages = {1: want[0:3], 2: want[3:6], 3: want[6:7], 4: []}
        for page, ids in pages.items():
            with self.subTest(page=page):
                body, _ = self.list_products(category=self.cat_page, page=page, page_size=3)
                self.assertEqual(self.ids(body), ids)
                self.assertEqual(body["total"], 7)
                self.assertEqual(body["page"], page)
                self.assertEqual(body["page_size"], 3)
        body, _ = self.list_products(category=self.cat_page, page_size=200)
        self.assertEqual(self.ids(body), want)
        self.assertEqual(body["page_size"], 200)
        body, _ = self.list_products(category=self.cat_page, page_size=1, page=7)
        self.assertEqual(self.ids(body), [want[6]])

    def test_unfiltered_list_is_sorted_by_id_and_in_stock(self):
        body, _ = self.list_products(page_size=200)
        ids = self.ids(body)
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(len(ids), len(set(ids)))
        self.assertGreaterEqual(body["total"], len(ids))
        self.assertLessEqual(len(ids), 200)
        for item in body["items"]:
            self.assertGreaterEqual(item["stock"], 1, item)

    def test_bad_paging_parameters_are_422(self):
        cases = [("page", "0"), ("page", "-1"), ("page", "abc"), ("page", "1.5"),
                 ("page_size", "0"), ("page_size", "201"), ("page_size", "abc"),
                 ("page_size", "-5"), ("min_price", "abc"), ("max_price", "xyz"),
                 ("min_price", "1e999"), ("max_price", "NaN")]
        for name, value in cases:
            with self.subTest(**{name: value}):
                r = self.daemon.get("/products", key=self.key, params={name: value})
                self.assertProblem(r, 422, field_names=[name])

    def test_products_need_a_key(self):
        r = self.daemon.get("/products", params={"category": self.cat_a})
        self.assertProblem(r, 401)

    # ----- /products/{id} ------------------------------------------------------------------

    def test_single_product_even_when_sold_out(self):
        for p in (self.products[0], self.products[2], self.products[5]):
            with self.subTest(id=p["id"]):
                r = self.daemon.get(f"/products/{p['id']}", key=self.key)
                self.assertEqual(self.assertJson(r), self.expected(p))
        r = self.daemon.get(f"/products/{self.products[0]['id']}", key=self.key)
        self.assertIn('"price_usdt":1.25', r.text)

    def test_unknown_product_is_404(self):
        r = self.daemon.get("/products/2100000000", key=self.key)
        self.assertProblem(r, 404)
        r = self.daemon.get(f"/products/{self.paging[-1]['id'] + 1}", key=self.key)
        self.assertProblem(r, 404)

    def test_non_numeric_product_id(self):
        for bad in ("abc", "12abc", "-1", "99999999999999999999999"):
            with self.subTest(id=bad):
                r = self.daemon.get(f"/products/{bad}", key=self.key)
                self.assertIn(r.status_code, (404, 422), r.text)
                self.assertProblem(r, r.status_code)

    # ----- /categories ---------------------------------------------------------------------

    def test_categories_counts_and_min_prices(self):
        r = self.daemon.get("/categories", key=self.key)
        body = self.assertJson(r)
        self.assertEqual(set(body), {"items"})
        ours = {}
        names = []
        for item in body["items"]:
            self.assertEqual(set(item), {"name", "product_count", "min_price_usdt"}, item)
            names.append(item["name"])
            if item["name"].startswith(f"e2e-cat-{RUN_ID}-"):
                ours[item["name"]] = item
        self.assertEqual(len(names), len(set(names)), "category names repeat")
        self.assertEqual(ours[self.cat_a], {"name": self.cat_a, "product_count": 2,
                                            "min_price_usdt": 1.25})
        self.assertEqual(ours[self.cat_b], {"name": self.cat_b, "product_count": 2,
                                            "min_price_usdt": 1.0})
        self.assertEqual(ours[self.cat_page], {"name": self.cat_page, "product_count": 7,
                                               "min_price_usdt": 7.5})
        self.assertEqual(ours[self.cat_empty], {"name": self.cat_empty, "product_count": 0,
                                                "min_price_usdt": None})
        self.assertIn('"min_price_usdt":1.25', r.text)
        self.assertIn('"min_price_usdt":null', r.text)

    def test_categories_need_a_key(self):
        self.assertProblem(self.daemon.get("/categories"), 401)


if __name__ == "__main__":
    harness.main()
