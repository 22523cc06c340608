"""Pages of the trust app; included under the site root by lexbill/urls.py.

Each part keeps its routes beside its views: accounts and transactions (views.py),
reconciliation (reconcile_views.py) and reports (report_views.py).
"""

from lexbill.trust import reconcile_views, report_views, views

app_name = "trust"
urlpatterns = [*views.urls, *reconcile_views.urls, *report_views.urls]
