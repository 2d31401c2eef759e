"""Fulfilment: from accepted orders to sealed parcels.

Waves (波次) and pick lists, merging and splitting parcels (合单 / 拆单), box choice, the scan-verified packing
session (验货) and the weight check (称重). Pure rules over plain frozen dataclasses; the services layer loads the
rows, calls these and persists the result.
"""
