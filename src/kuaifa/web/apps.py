from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kuaifa.web"
    label = "kuaifa_web"
    verbose_name = "Kuaifa workbench"
