"""Workers (lists); exam plans: app.views.exams; training plans: app.views.plans; scores and certificates: app.views.scores."""
