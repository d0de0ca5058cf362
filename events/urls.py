from django.urls import path

from events import views, views_attention, views_declaration, views_gate

app_name = "events"

urlpatterns = [
    path("", views.event_list, name="list"),
    path("my-entries/", views.my_entries, name="my_entries"),
    path("my-entries/<int:pk>/ticket/", views.ticket, name="ticket"),
    path("my-entries/<int:pk>/cancel/", views.entry_cancel, name="entry_cancel"),
    path("my-entries/<int:pk>/declaration/", views_declaration.declaration, name="declaration"),
    path("declarations/<int:pk>/signed.pdf", views_declaration.declaration_pdf, name="declaration_pdf"),
    path("my-entries/<int:pk>/emergency-contact/", views_attention.emergency_contact, name="emergency_contact"),
    path("<slug:slug>/", views.event_detail, name="detail"),
    path("<slug:slug>/sessions/<slug:session_slug>/sign-up/", views.signup, name="signup"),
    path("<slug:slug>/check-in/", views_gate.check_in, name="check_in"),
    path("<slug:slug>/check-in/<int:pk>/", views_gate.check_in_entry, name="check_in_entry"),
    path("<slug:slug>/check-in/<int:pk>/declaration/", views_declaration.declaration_at_gate, name="declaration_gate"),
    path("<slug:slug>/check-in/counts.json", views_gate.check_in_counts, name="check_in_counts"),
    path("<slug:slug>/check-in/list.json", views_gate.check_in_list, name="check_in_list"),
    path("<slug:slug>/check-in/sync", views_gate.check_in_sync, name="check_in_sync"),
    path("<slug:slug>/roster/", views.roster, name="roster"),
    path("<slug:slug>/roster.json", views.roster_json, name="roster_json"),
    path("<slug:slug>/roster.csv", views.roster_csv, name="roster_csv"),
    path("<slug:slug>/calendar.ics", views.calendar_ics, name="calendar"),
]
