"""The portfolio part of the API: schemes, reviews and their scores, the matrix, warnings."""

from ninja import Router

from kam.portfolio.api_matrix import router as matrix_router
from kam.portfolio.api_reviews import router as reviews_router
from kam.portfolio.api_schemes import router as schemes_router

router = Router()
router.add_router("/schemes", schemes_router)
router.add_router("/reviews", reviews_router)
router.add_router("/portfolio", matrix_router)
