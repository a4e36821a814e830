"""UN/ECE Recommendation 20 unit codes that ftz converts, grouped by dimension.

A lot is kept in the unit it was first booked in; a movement in another unit of the same
dimension is converted (tonnes to kilograms, cubic metres to litres); across dimensions
there is no conversion, and the importer refuses such a row.
"""

from decimal import Decimal

# code: (dimension, factor to the dimension's base unit, name)
UNITS: dict[str, tuple[str, Decimal, str]] = {
    # mass, base kilogram
    "KGM": ("mass", Decimal(1), "kilogram"),
    "GRM": ("mass", Decimal("0.001"), "gram"),
    "MGM": ("mass", Decimal("0.000001"), "milligram"),
    "TNE": ("mass", Decimal(1000), "tonne"),
    "DTN": ("mass", Decimal(100), "decitonne"),
    "LBR": ("mass", Decimal("0.45359237"), "pound"),
    "ONZ": ("mass", Decimal("0.028349523125"), "ounce"),
    "KTN": ("mass", Decimal(1_000_000), "kilotonne"),
    # volume, base litre
    "LTR": ("volume", Decimal(1), "litre"),
    "MLT": ("volume", Decimal("0.001"), "millilitre"),
    "CLT": ("volume", Decimal("0.01"), "centilitre"),
    "HLT": ("volume", Decimal(100), "hectolitre"),
    "MTQ": ("volume", Decimal(1000), "cubic metre"),
    "DMQ": ("volume", Decimal(1), "cubic decimetre"),
    "CMQ": ("volume", Decimal("0.001"), "cubic centimetre"),
    "GLL": ("volume", Decimal("3.785411784"), "US gallon"),
    "BLL": ("volume", Decimal("158.987294928"), "barrel (US)"),
    # length, base metre
    "MTR": ("length", Decimal(1), "metre"),
    "CMT": ("length", Decimal("0.01"), "centimetre"),
    "MMT": ("length", Decimal("0.001"), "millimetre"),
    "KMT": ("length", Decimal(1000), "kilometre"),
    "FOT": ("length", Decimal("0.3048"), "foot"),
    "INH": ("length", Decimal("0.0254"), "inch"),
    "YRD": ("length", Decimal("0.9144"), "yard"),
    # area, base square metre
    "MTK": ("area", Decimal(1), "square metre"),
    "CMK": ("area", Decimal("0.0001"), "square centimetre"),
    "FTK": ("area", Decimal("0.09290304"), "square foot"),
    "HAR": ("area", Decimal(10000), "hectare"),
    # count, base one item: NAR (number of articles), C62 (one) and H87 (piece) are all
    # the same unit under different names, which real declarations mix freely.
    "NAR": ("count", Decimal(1), "number of articles"),
    "C62": ("count", Decimal(1), "one"),
    "H87": ("count", Decimal(1), "piece"),
    "PCE": ("count", Decimal(1), "piece (the older code, now H87)"),
    "DZN": ("count", Decimal(12), "dozen"),
    "MIL": ("count", Decimal(1000), "thousand"),
    # pairs are their own dimension: a pair of gloves is not two articles for customs.
    "PR": ("pair", Decimal(1), "pair"),
    "DPR": ("pair", Decimal(12), "dozen pairs"),
    # sets likewise: a set of tools is one set, whatever it holds
    "SET": ("set", Decimal(1), "set"),
    # energy and electricity
    "KWH": ("energy", Decimal(1), "kilowatt hour"),
    "MWH": ("energy", Decimal(1000), "megawatt hour"),
    # radioactivity and fissile material are booked by mass; activity has its own unit
    "GBQ": ("activity", Decimal(1), "gigabecquerel"),
    "CUR": ("activity", Decimal(37), "curie"),
}


def factor(from_unit: str, to_unit: str) -> Decimal:
    """How many ``to_unit`` one ``from_unit`` is; ``ValueError`` across dimensions."""
    from_dim, from_factor, _ = UNITS[from_unit]
    to_dim, to_factor, _ = UNITS[to_unit]
    if from_dim != to_dim:
        raise ValueError(f"{from_unit} ({from_dim}) cannot be converted to {to_unit} ({to_dim})")
    return from_factor / to_factor
