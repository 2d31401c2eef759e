"""After-sales (售后): PDD's cases normalised (``canonical``), our own case state and the merchant's decisions
(``cases``), and the rule that a refund is paid once (``refunds``). Pure rules over frozen dataclasses; the
platform adapter builds the cases, the services layer stores them.
"""
