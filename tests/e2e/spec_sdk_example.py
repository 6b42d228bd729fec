"""The spec's Python SDK example (section 12, "Python (requests)"), verbatim apart from the loop
body's indentation, which the published text lost. Tests replace only KEY and BASE."""

SDK_EXAMPLE = '''
import requests
KEY = "YOUR_API_KEY"
BASE = "https://instamarket.pro/api/v1"
headers = {"X-API-Key": KEY}
# 1. List products
products = requests.get(f"{BASE}/products", headers=headers,
params={"min_price": 1, "page_size": 50}).json()
# 2. Check balance
bal = requests.get(f"{BASE}/balance", headers=headers).json()
print(f"Balance: {bal['balance_usdt']} USDT")
# 3. Create order (balance-debit)
order = requests.post(f"{BASE}/orders", headers=headers, json={
"product_id": products["items"][0]["id"],
"quantity": 1,
"payment_method": "balance",
"webhook_url": "https://your.app/cb",
}).json()
print(f"Order #{order['order_id']} {order['status']}")
# 4. Poll until final
import time
while True:
    o = requests.get(f"{BASE}/orders/{order['order_id']}", headers=headers).json()
    if o["status"] in ("completed", "failed", "expired", "cancelled"):
        break
    time.sleep(5)
print(f"Final: {o['status']}, items={o.get('items')}, refunded={o.get('refunded')}")
'''

# Steps 1 and 2 alone (list products, check balance).
FIRST_TWO_STEPS = SDK_EXAMPLE[:SDK_EXAMPLE.index("# 3. Create order")]
