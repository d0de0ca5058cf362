from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
]
