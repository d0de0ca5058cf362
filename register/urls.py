from django.urls import path

from register import views

app_name = "register"

urlpatterns = [
    path("register/", views.car_list, name="list"),
    path("register/stats/", views.stats, name="stats"),
    path("garage/", views.garage, name="garage"),
    path("garage/cars/add/", views.car_add, name="car_add"),
    path("garage/cars/<int:pk>/edit/", views.car_edit, name="car_edit"),
    path("garage/cars/<int:pk>/photos/", views.car_photos, name="car_photos"),
    path("garage/photos/<int:pk>/main/", views.photo_main, name="photo_main"),
    path("garage/photos/<int:pk>/delete/", views.photo_delete, name="photo_delete"),
    path("garage/claim/", views.claim, name="claim"),
    path("garage/profile/", views.profile, name="profile"),
    path("garage/profile/delete/", views.account_delete, name="account_delete"),
]
