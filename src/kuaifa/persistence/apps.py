from django.apps import AppConfig


class PersistenceConfig(AppConfig):
    """Kuaifa's tables. The label is ``kuaifa`` so tables read ``kuaifa_order``, ``kuaifa_stocklevel`` …"""

    name = "kuaifa.persistence"
    label = "kuaifa"
    verbose_name = "Kuaifa"
